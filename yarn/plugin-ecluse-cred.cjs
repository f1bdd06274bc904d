const EXECUTABLE = "ecluse-cred";
// plugin-ecluse-cred: a Yarn 4 (Berry) plugin that hands Yarn a short-lived registry token
// minted and cached by ecluse-cred.
//
// Why: Yarn reads registry credentials only from .yarnrc.yml values (npmAuthToken,
// npmAuthIdent) or from a plugin's getNpmAuthenticationHeader hook; it has no credential-helper
// program of its own. A token written into .yarnrc.yml would sit on disk and expire. This hook
// asks ecluse-cred for the token of each registry Yarn authenticates to, when Yarn needs it.
//
// This file holds no token and no configuration: `ecluse-cred setup yarn` writes it (with
// EXECUTABLE above set to the absolute path of the ecluse-cred that wrote it) and lists it under
// `plugins:` in ~/.yarnrc.yml; `ecluse-cred setup yarn --undo` removes both. Which registry gets
// which token is ecluse-cred's decision (its targets' `urls`, by scheme, host, port and path):
// this hook only passes Yarn's registry URL on and uses the answer. It needs nothing but Node's
// built-in modules.

/** The exit status of `ecluse-cred token` when no target serves the URL (EX_CONFIG). */
const NOT_SERVED_STATUS = 78;
/**
 * What ecluse-cred says on stderr when no target serves the URL: exit status 78 also means a
 * broken configuration, which must fail the install loudly instead of going on without a token.
 */
const NOT_SERVED_MESSAGE = "error: no target serves ";
/** The scheme of the Authorization header Yarn sends with ecluse-cred's token. */
const AUTH_SCHEME = "Bearer";
/**
 * A token is reused within one Yarn process (one spawn per registry for a whole install) until
 * this long before it expires; then ecluse-cred is asked again.
 */
const REUSE_MARGIN_MS = 60 * 1000;
/**
 * Yarn reports an error that has a `reportCode` as that YN code with its message alone, without
 * a stack trace pointing into this file: 1 is YN0001, Yarn's code for an exception.
 */
const YARN_REPORT_CODE = 1;

/** An error Yarn shows as `YN0001: MESSAGE`. */
function failure(message) {
  const error = new Error(message);
  error.reportCode = YARN_REPORT_CODE;
  return error;
}

module.exports = {
  name: "plugin-ecluse-cred",
  factory: require => {
    const { execFile } = require("child_process");

    /**
     * Per registry URL, the pending or settled answer of ecluse-cred: `{header, expiresAt}`, or
     * `null` when no target serves the registry. A failure is kept too: one install does not
     * retry a failing mint for each of its packages.
     * @type {Map<string, Promise<{header: string, expiresAt: number} | null>>}
     */
    const answers = new Map();

    /** Run `ecluse-cred token --url URL --format json` (no shell, stdin closed at once). */
    function askEcluseCred(url) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          EXECUTABLE,
          ["token", "--url", url, "--format", "json"],
          { encoding: "utf8", maxBuffer: 1024 * 1024, windowsHide: true },
          (error, stdout, stderr) => {
            if (!error) {
              // Warnings (never the token): shown as ecluse-cred would show them.
              if (stderr) process.stderr.write(stderr);
              let answer;
              try {
                answer = JSON.parse(stdout);
              } catch {
                // Never quote stdout: it holds the token.
                reject(failure(`${EXECUTABLE} token --url ${url} printed no JSON`));
                return;
              }
              const minted = answer.token;
              if (typeof minted !== "string" || minted.length === 0) {
                reject(failure(`${EXECUTABLE} token --url ${url} printed no token`));
                return;
              }
              const expiresAt = Date.parse(answer.expires_at);
              resolve({
                header: `${AUTH_SCHEME} ${minted}`,
                expiresAt: Number.isNaN(expiresAt) ? Infinity : expiresAt,
              });
              return;
            }
            const said = (stderr || "").trim();
            if (error.code === NOT_SERVED_STATUS && said.includes(NOT_SERVED_MESSAGE)) {
              resolve(null);
              return;
            }
            if (typeof error.code === "string") {
              // Not started (ENOENT, EACCES): the path setup wrote is gone or not executable.
              reject(failure(`cannot run ${EXECUTABLE} (${error.code}): run \`ecluse-cred setup yarn\` again, or \`ecluse-cred setup yarn --undo\``));
              return;
            }
            // ecluse-cred's own words (token-free), else how it ended.
            const how = error.signal ? `was killed by ${error.signal}` : `exited with status ${error.code}`;
            reject(failure(said || `${EXECUTABLE} token --url ${url} ${how}`));
          },
        );
        child.stdin.end();
      });
    }

    /** The memoised answer for `registry`, asked again once its token is near its expiry. */
    async function answerFor(registry) {
      let pending = answers.get(registry);
      if (pending) {
        const answer = await pending;
        if (answer === null || Date.now() < answer.expiresAt - REUSE_MARGIN_MS) return answer;
        if (answers.get(registry) === pending) answers.delete(registry);
        pending = answers.get(registry);
      }
      if (!pending) {
        // Yarn's registry URL has no trailing `/`; ecluse-cred's `urls` prefixes end with one.
        pending = askEcluseCred(`${registry.replace(/\/+$/, "")}/`);
        answers.set(registry, pending);
      }
      return pending;
    }

    return {
      hooks: {
        /**
         * Yarn's hook for the Authorization header of a request to `registry` (its URL, without
         * the trailing `/`): the header with ecluse-cred's token when one of its targets serves
         * the registry, else what earlier plugins (or none) answered, so Yarn falls back to its
         * own settings.
         * Its third argument, `{configuration, ident}`, plays no part: only the registry decides.
         */
        async getNpmAuthenticationHeader(currentHeader, registry) {
          const answer = await answerFor(registry);
          return answer === null ? currentHeader : answer.header;
        },
      },
    };
  },
};
