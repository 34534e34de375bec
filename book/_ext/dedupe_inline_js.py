"""Sphinx extension: drop duplicated <script> entries from each page.

Sphinx 7.4 emits an inline script added after the builder starts twice
(sphinx-doc/sphinx#13402, fixed in Sphinx 8.2; Jupyter Book 1.x needs Sphinx 7). The second
copy of sphinx-thebe's ``const THEBE_JS_URL`` is a JavaScript error on every page, which
the browser check in ``tests/browser`` rightly reports.
"""


def _dedupe(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for asset in context.get("script_files", []):
        filename = getattr(asset, "filename", asset) or ""
        attributes = tuple(sorted(getattr(asset, "attributes", {}).items()))
        key = (filename, getattr(asset, "priority", 500), attributes)
        if key not in seen:
            seen.add(key)
            unique.append(asset)
    context["script_files"][:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
