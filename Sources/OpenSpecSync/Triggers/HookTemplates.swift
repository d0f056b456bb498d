import Foundation

/// The hook script templates, keyed by hook name.
///
/// The source of truth is the `Hooks/` folder of the source tree; `builtIn`
/// holds the same text so an installed binary needs no source tree (a test
/// keeps the two identical). Each template has two placeholders, replaced by
/// shell-quoted absolute paths: `@OPENSPEC_SYNC_BINARY@` and `@OPENSPEC_SYNC_DATABASE@`.
public struct HookTemplates: Sendable {
    public var scripts: [String: String]

    public init(scripts: [String: String]) {
        self.scripts = scripts
    }

    /// Reads `<folder>/<name>` for every hook name.
    public static func load(from folder: String) throws -> HookTemplates {
        var scripts: [String: String] = [:]
        for name in HookInstaller.hookNames {
            let path = folder + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HookError.fileOperation(path: path, operation: "reading", reason: "cannot read the file")
            }
            scripts[name] = String(decoding: data, as: UTF8.self)
        }
        return HookTemplates(scripts: scripts)
    }

    public static let builtIn = HookTemplates(scripts: [
        "post-commit": builtInPostCommit,
        "post-merge": builtInPostMerge,
        "post-checkout": builtInPostCheckout,
        "post-rewrite": builtInPostRewrite,
    ])
}

// MARK: - Built-in templates (identical to Hooks/, checked by a test)

/// The four scripts differ only in the hook's name and the line that says
/// which git commands fire it (post-rewrite adds a note on its stdin).
fileprivate func builtInScript(_ name: String, when: String) -> String {
    scriptTemplate.replacingOccurrences(of: "@NAME@", with: name).replacingOccurrences(of: "@WHEN@", with: when)
}

fileprivate let builtInPostCommit = builtInScript("post-commit", when: "# follows this repository after `git commit`.\n")
fileprivate let builtInPostMerge = builtInScript("post-merge", when: "# follows this repository after `git merge` and `git pull`.\n")
fileprivate let builtInPostCheckout = builtInScript("post-checkout", when: "# follows this repository after `git checkout` and `git switch`.\n")
fileprivate let builtInPostRewrite = builtInScript("post-rewrite", when: """
    # follows this repository after `git commit --amend` and `git rebase`.
    # The list of rewritten commits that git writes to stdin goes, untouched, to
    # the hook that was here before.

    """)

fileprivate let scriptTemplate = #"""
#!/bin/sh
# openspec-sync hook v2
#
# Installed by `openspec-sync hooks install` so that the OpenSpec database
@WHEN@#
# To remove it, run `openspec-sync hooks uninstall`: it also puts back the
# hook that was here before, kept meanwhile beside this file as
# @NAME@.pre-openspec-sync.
#
# It never fails and never holds git up: it always exits 0, writes what went
# wrong to <git dir>/openspec-sync/hook.log (shown by `openspec-sync hooks
# status`), and `openspec-sync hook` moves a long catch-up to the background.
# OPENSPEC_SYNC_SKIP_HOOKS=1 skips the sync for one command.

hook=@NAME@
bin=@OPENSPEC_SYNC_BINARY@
db=@OPENSPEC_SYNC_DATABASE@

# The hook that was here before runs first, as git would have run it: only if
# executable, with the same arguments and the same stdin. Its exit status is
# ignored, as git ignores it for this hook. The guard stops a copy of this
# script saved under that name from calling itself.
case $0 in
*.pre-openspec-sync) previous= ;;
*/*) previous=${0%/*}/$hook.pre-openspec-sync ;;
*) previous=./$hook.pre-openspec-sync ;;
esac
if [ -n "$previous" ] && [ -f "$previous" ] && [ -x "$previous" ]; then
    "$previous" "$@"
fi

[ "${OPENSPEC_SYNC_SKIP_HOOKS:-}" = 1 ] && exit 0

# git runs this hook at the top of the working tree. The git folder is .git
# there, or the GIT_DIR git exported (a linked worktree); only otherwise is
# git asked, which would cost a process on every commit.
cd -P . 2>/dev/null || exit 0
top=$PWD
case ${GIT_DIR:-} in
/*) gitdir=$GIT_DIR ;;
*)
    if [ -d "$top/.git" ]; then
        gitdir=$top/.git
    else
        gitdir=$(git rev-parse --absolute-git-dir 2>/dev/null) || exit 0
    fi
    ;;
esac

# The sync writes to the log, never to git's terminal, and a background
# catch-up inherits the log rather than git's output, so git never waits for it.
# Past 1 MiB, `openspec-sync hook` renames the log to hook.log.1.
log=/dev/null
[ -d "$gitdir/openspec-sync" ] || mkdir -p "$gitdir/openspec-sync" 2>/dev/null
[ -d "$gitdir/openspec-sync" ] && log=$gitdir/openspec-sync/hook.log

if [ -f "$bin" ] && [ -x "$bin" ]; then
    # shellcheck disable=SC2094 # --log only names the file, for the rotation
    "$bin" hook "$hook" --db "$db" --repo "$top" --log "$log" -- "$@" </dev/null >>"$log" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        printf '%s openspec-sync %s hook: %s exited with status %s\n' \
            "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$hook" "$bin" "$rc" >>"$log" 2>/dev/null
    fi
else
    printf '%s openspec-sync %s hook: %s is missing or not executable, so the database was not synced; to fix it, run: openspec-sync hooks install\n' \
        "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" "$hook" "$bin" >>"$log" 2>/dev/null
fi
exit 0

"""#
