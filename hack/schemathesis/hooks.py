"""schemathesis hooks for hack/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS)."""

import schemathesis


@schemathesis.hook
def map_query(ctx, query):
    # A watch streams until its timeout: several JSON documents in one body, and a call that does not end within
    # the request timeout. The watch protocol has its own end-to-end tests; here every list answers at once.
    if query:
        for key in ("watch", "allowWatchBookmarks", "sendInitialEvents"):
            query.pop(key, None)
    return query
