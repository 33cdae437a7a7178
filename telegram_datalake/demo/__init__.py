"""``make demo``: a generated week of a Telegram group through the whole pipeline, on this machine."""
