"""What the Slack adapter says to people and operators on its own (the router says the rest)."""

from __future__ import annotations

HANDLER_FAILED = (
    "Sorry, something went wrong on k8stip's side while answering that. "
    "Try again in a minute; if it keeps happening, ask whoever runs k8stip to check its logs."
)
NOT_INSTALLED = (
    "k8stip is not installed in Slack workspace {team}: install it again from /slack/install"
)
INSTALL_REVOKED = (
    "Slack refused k8stip's token for workspace {team} ({code}): the install was revoked or "
    "removed; install it again from /slack/install, then run /k8stip resume"
)
MISSING_BOT_TOKEN = (
    "Slack is enabled but SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token from "
    "OAuth & Permissions in your Slack app (see docs/slack.md)"
)
MISSING_APP_TOKEN = (
    "Slack Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write): create "
    "one under Basic Information → App-Level Tokens, or set slack.mode: http"
)
MISSING_SIGNING_SECRET = (
    "Slack HTTP mode needs SLACK_SIGNING_SECRET: copy it from Basic Information → App "
    "Credentials, or set slack.mode: socket"
)
MISSING_OAUTH_SECRETS = (
    "slack.oauth is on, which needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic Information "
    "→ App Credentials); or turn slack.oauth off and set SLACK_BOT_TOKEN"
)
OAUTH_NEEDS_HTTP = (
    "slack.oauth (multi-workspace install) needs slack.mode: http, because Slack must reach "
    "/slack/oauth_redirect"
)
MISSING_TOKEN_KEY = (
    "slack.oauth is on, which needs K8STIP_TOKEN_KEY (the key that encrypts workspace tokens in "
    "the database): make one with `python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'` and keep it as a secret (see docs/slack.md)"
)
BAD_TOKEN_KEY = (
    "K8STIP_TOKEN_KEY: key {index} of {count} is not a Fernet key (32 random bytes in url-safe "
    "base64, 44 characters); make one with `python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'`"
)
WRONG_TOKEN_KEY = (
    "a Slack token in the database ({where}) can't be decrypted with any key in "
    "K8STIP_TOKEN_KEY: it was written with another key; set K8STIP_TOKEN_KEY to that key, or to "
    '"new,old" while rotating (see docs/slack.md)'
)
