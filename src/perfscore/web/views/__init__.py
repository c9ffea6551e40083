"""The web view's pages, one module a page kind (:mod:`perfscore.web`): upload, table, unit, review, charts, sign-in."""
