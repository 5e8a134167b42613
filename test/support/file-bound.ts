/**
 * Loaded into every test file's process (`node --import` in package.json's test script): a bound
 * on the whole file, on top of `--test-timeout`'s bound on each test. A file whose tests are done
 * but whose process does not exit (a handle left open), or that hangs outside any test, fails
 * after this long instead of holding the suite for ever. Generous: it catches hangs, it does not
 * time anything.
 */
const FILE_BOUND_MS = Number(process.env['EVENTROUTER_TEST_FILE_TIMEOUT_MS'] ?? 600_000);

// Only in a test file's own process, not in the runner that spawns them.
if (process.env['NODE_TEST_CONTEXT'] !== undefined) {
  setTimeout(() => {
    process.stderr.write(`${process.argv[1] ?? 'test file'}: still running after ${FILE_BOUND_MS / 1000} s; ending it\n`);
    process.exit(1);
  }, FILE_BOUND_MS).unref();
}
