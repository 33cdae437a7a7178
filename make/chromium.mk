# Debian's chromium and its chromedriver, for tests/test_report_browser.py: the HTML report is opened in a
# real headless browser (tests/browser.py, through Selenium), which must find both where the packages put
# them, since Selenium is never let to download a driver. fonts-noto-color-emoji draws the emoji of names.
CHROMEDRIVER := /usr/bin/chromedriver
CHROMIUM_BIN := /usr/lib/chromium/chromium
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf

.PHONY: chromium

chromium: ## Install chromium, chromedriver and an emoji font (the report's browser tests) when missing
	@[ -x $(CHROMEDRIVER) ] && [ -x $(CHROMIUM_BIN) ] && [ -f $(EMOJI_FONT) ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-color-emoji >/dev/null; \
	  else echo "chromium, chromedriver or the emoji font is missing: install them (apt-get install chromium chromium-driver fonts-noto-color-emoji)" >&2; exit 1; fi; }
