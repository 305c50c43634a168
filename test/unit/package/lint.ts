// Lints a Dockerfile with dockerfile-utils (the validator behind the VS Code Docker extension) when it is installed.
// Loaded by name at run time so the tests still compile and run their own checks while the devDependency is absent.

export interface LintProblem {
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

interface Diagnostic {
  range: { start: { line: number } };
  severity?: number;
  message: string;
}

type Validate = (content: string, settings?: Record<string, unknown>) => Diagnostic[];

/** The linter, or why it is not available. */
export function loadLinter(): { lint: (dockerfile: string) => LintProblem[] } | { unavailable: string } {
  let validate: Validate;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    validate = (require('dockerfile-utils') as { validate: Validate }).validate;
  } catch {
    return { unavailable: 'dockerfile-utils is not installed (add it as a devDependency to lint the generated Dockerfile)' };
  }
  return {
    lint: (dockerfile) =>
      validate(dockerfile).map((d) => ({
        line: d.range.start.line + 1,
        // LSP severities: 1 error, 2 warning (3 and 4 are hints, reported as warnings).
        severity: d.severity === 1 ? 'error' : 'warning',
        message: d.message,
      })),
  };
}
