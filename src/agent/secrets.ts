import * as tl from 'azure-pipelines-task-lib/task';

/**
 * Registers a secret with the agent so it is masked in every log line. Multi-line secrets (PEM files) are
 * also registered line by line, because the agent masks text line by line.
 */
export function maskSecret(value: string | undefined): void {
  if (!value) return;
  const lines = value.split(/\r?\n/).map((l) => l.trim());
  if (lines.length > 1) {
    for (const line of lines) {
      if (line.length >= 8 && !/^-----(BEGIN|END) /.test(line)) tl.setSecret(line);
    }
  } else {
    tl.setSecret(value);
  }
}
