// The spec reporter, plus:
// - for a test file whose worker process died (a crash outside any test), the file's name, which
//   mocha's parallel runner knows but the spec reporter does not print;
// - a closing line that CI tools read: "tests: N passed, N failed, N skipped".
const path = require("node:path");
const Mocha = require("mocha");

const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;
// The title of the stand-in runnable mocha fails when an error belongs to no test, as when a
// worker process dies.
const outsideAnyTest = "Uncaught error outside test suite";

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // Prepended, so that both the spec reporter's line and its closing list name the file.
    runner.prependListener(EVENT_TEST_FAIL, (test) => {
      if (test.title === outsideAnyTest && test.file) {
        test.title = `${test.title}, in ${path.relative(process.cwd(), test.file)}`;
      }
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = this.stats;
      process.stdout.write(`\ntests: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
