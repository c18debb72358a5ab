"""The admin web console: a few server-rendered pages over the store, served by the bot's own
aiohttp server on its own port (`web.port`, 8081) when `web.enabled` is true.

- `server.py` builds the aiohttp application and serves it (`WebServer`).
- `auth.py` signs people in and out: the password from K8STIP_WEB_PASSWORD(_FILE), kept only
  as a scrypt hash; sessions in the store (`web_sessions`), their cookie HttpOnly,
  SameSite=Strict and Secure over TLS; a CSRF token on every form; failed sign-ins slowed per
  address. Nothing but `/login` answers a browser that has not signed in.
- `render.py` renders the Jinja2 templates in `templates/` (autoescaped: a tip's text is
  text, whatever it holds) with the headers every page carries (a CSP that allows no script).
- `charts.py` draws the charts as SVG on the server: titles, axes and numbers readable
  without hovering, and no script.
- One module per page: `overview.py`, `channel.py`, `tips.py`, `review.py`. A change made on a
  page runs the same `/k8stip` command a chat admin would (`actions.py`), so a page and a chat
  command can never disagree, and is written to the audit log (`web_audit`).

Imported only when the console is on: `k8stip run` without it never loads Jinja2.
"""
