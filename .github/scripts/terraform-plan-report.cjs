// A Terraform plan as Markdown, cut to fit GitHub's limits: the pull request comment (actions/github-script)
// and the job summary (node CLI). The plan text is read from a file and never passes through a shell.
//
//   node terraform-plan-report.cjs summary PLAN_FILE EXIT_CODE_FILE [TITLE]   >> "$GITHUB_STEP_SUMMARY"
//   github-script: await require("./.github/scripts/terraform-plan-report.cjs").comment({ github, context, core, ... })
//
// EXIT_CODE_FILE holds `terraform plan -detailed-exitcode`'s status: 0 no changes, 2 changes, else failed.
"use strict";

const fs = require("node:fs");

const MARKER = "<!-- terraform-plan -->";
// GitHub rejects a comment body over 65,536 characters; JavaScript strings count UTF-16 code units,
// which are never fewer than characters, so staying within 65,536 units is safe either way.
const COMMENT_LIMIT = 65536;
// GitHub drops a step's summary over 1 MiB (bytes of UTF-8).
const SUMMARY_LIMIT = 1024 * 1024;
// A cut lands on the last line break within this many units of the limit, when there is one.
const LINE_SLACK = 2000;
const COMMENT_AUTHOR = "github-actions[bot]";

const utf16Units = (text) => text.length;
const utf8Bytes = (text) => Buffer.byteLength(text, "utf8");

function isHighSurrogate(code) {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code) {
  return code >= 0xdc00 && code <= 0xdfff;
}

// An index into text that does not split a surrogate pair (one character above U+FFFF).
function characterBoundary(text, index) {
  if (index > 0 && index < text.length && isHighSurrogate(text.charCodeAt(index - 1)) && isLowSurrogate(text.charCodeAt(index))) {
    return index - 1;
  }
  return index;
}

// The longest prefix of text that measures at most budget, cut between characters (never inside a
// surrogate pair, so never inside a multi-byte UTF-8 sequence) and, when one is near, after a line break.
function truncate(text, budget, measure = utf16Units) {
  if (measure(text) <= budget) {
    return { text, truncated: false };
  }
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (measure(text.slice(0, characterBoundary(text, middle))) <= budget) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  let cut = characterBoundary(text, low);
  const lineEnd = text.lastIndexOf("\n", cut - 1);
  if (lineEnd >= 0 && cut - (lineEnd + 1) <= LINE_SLACK) {
    cut = lineEnd + 1;
  }
  return { text: text.slice(0, cut), truncated: true };
}

// A code fence longer than any run of backticks in text, so the text cannot close it.
function fenceFor(text) {
  const runs = text.match(/`+/g) || [];
  const longest = runs.reduce((length, run) => Math.max(length, run.length), 0);
  return "`".repeat(Math.max(3, longest + 1));
}

function readIfPresent(path) {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") {
      return null;
    }
    throw error;
  }
}

// What the plan said, in one line.
function outcome(plan, exitCode) {
  if (plan === null || exitCode === null) {
    return { ok: false, headline: "no plan: the job failed before planning" };
  }
  if (exitCode !== 0 && exitCode !== 2) {
    return { ok: false, headline: `failed (exit code ${exitCode})` };
  }
  const line = plan.match(/^(Plan: \d+ to add, \d+ to change, \d+ to destroy\.|No changes\..*|Changes to Outputs:)$/m);
  return { ok: true, headline: line ? line[1] : exitCode === 0 ? "No changes." : "changes" };
}

function runUrl(env = process.env) {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = env;
  return server && repository && run ? `${server}/${repository}/actions/runs/${run}` : null;
}

// Markdown for a plan, at most limit as measured: heading, outcome, then the plan in a collapsible
// code block, cut with a note when it is too long.
function render({ plan, exitCode, title = "Terraform plan", commit = null, artifact = "terraform-plan", limit, measure = utf16Units, url = runUrl(), marker = "" }) {
  const result = outcome(plan, exitCode);
  const icon = result.ok ? "✅" : "❌";
  const about = [commit ? `commit \`${commit}\`` : null, url ? `[workflow run](${url})` : null].filter(Boolean).join(", ");
  const head = `${marker ? `${marker}\n` : ""}### ${icon} ${title}: ${result.headline}\n\n${about ? `${about}\n\n` : ""}`;
  if (plan === null) {
    return head;
  }
  const fence = fenceFor(plan);
  const opening = `<details${result.ok ? "" : " open"}><summary>Show the plan</summary>\n\n${fence}text\n`;
  const closing = `${plan.endsWith("\n") ? "" : "\n"}${fence}\n\n</details>\n`;
  const note = (shown) =>
    `\n> [!NOTE]\n> The plan is cut to GitHub's limit: this shows its first ${shown.toLocaleString("en-US")} of ` +
    `${plan.length.toLocaleString("en-US")} characters. The whole plan is the \`${artifact}\` artifact of the workflow run.\n`;
  const whole = head + opening + plan + closing;
  if (measure(whole) <= limit) {
    return whole;
  }
  // The note's own length depends on the numbers in it; the longest numbers it can hold bound it.
  const reserved = measure(head + opening + "\n" + closing + note(plan.length));
  const cut = truncate(plan, Math.max(0, limit - reserved), measure);
  const body = head + opening + cut.text + (cut.text.endsWith("\n") || cut.text === "" ? "" : "\n") + closing + note(cut.text.length);
  if (measure(body) > limit) {
    throw new Error(`rendered plan is ${measure(body)} over the limit ${limit}`);
  }
  return body;
}

function readPlan(planPath, exitCodePath) {
  const plan = readIfPresent(planPath);
  const status = readIfPresent(exitCodePath);
  const exitCode = status === null || status.trim() === "" ? null : Number.parseInt(status.trim(), 10);
  return { plan, exitCode: Number.isNaN(exitCode) ? null : exitCode };
}

function summary({ planPath, exitCodePath, title = "Terraform plan", artifact = "terraform-plan", commit = process.env.GITHUB_SHA || null }) {
  const { plan, exitCode } = readPlan(planPath, exitCodePath);
  return render({ plan, exitCode, title, commit, artifact, limit: SUMMARY_LIMIT, measure: utf8Bytes });
}

// Creates the pull request's plan comment, or updates the one this workflow posted before (found by
// its hidden marker and author), so a pull request keeps one plan comment however often it changes.
async function upsertComment({ github, context, body }) {
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const previous = comments.find(
    (item) => item.user && item.user.login === COMMENT_AUTHOR && typeof item.body === "string" && item.body.startsWith(MARKER),
  );
  if (previous) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: previous.id, body });
    return { action: "updated", id: previous.id };
  }
  const created = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return { action: "created", id: created.data.id };
}

async function comment({ github, context, core, planPath, exitCodePath, title = "Terraform plan", artifact = "terraform-plan" }) {
  const { plan, exitCode } = readPlan(planPath, exitCodePath);
  const pullRequest = context.payload.pull_request;
  const commit = pullRequest && pullRequest.head ? pullRequest.head.sha : context.sha;
  const body = render({ plan, exitCode, title, commit, artifact, limit: COMMENT_LIMIT, measure: utf16Units, marker: MARKER });
  const result = await upsertComment({ github, context, body });
  core.info(`plan comment ${result.action}: ${result.id} (${body.length} characters)`);
  return result;
}

module.exports = { COMMENT_LIMIT, MARKER, SUMMARY_LIMIT, comment, fenceFor, outcome, render, summary, truncate, upsertComment, utf16Units, utf8Bytes };

if (require.main === module) {
  const [command, planPath, exitCodePath, title] = process.argv.slice(2);
  if (command !== "summary" || !planPath || !exitCodePath) {
    process.stderr.write("usage: terraform-plan-report.cjs summary PLAN_FILE EXIT_CODE_FILE [TITLE]\n");
    process.exit(2);
  }
  process.stdout.write(summary({ planPath, exitCodePath, title: title || undefined }));
}
