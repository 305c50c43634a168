/**
 * Preload (`node --require build/test/support/peak-rss.js`) that writes the process's peak resident set size in
 * bytes to the file named by PEAK_RSS_FILE when it exits, so a test can bound the memory of a task run as the
 * agent runs it without touching the task.
 */
import fs = require('fs');

/**
 * VmHWM, the high-water mark of this process image's memory. Not `process.resourceUsage().maxRSS`: Linux keeps
 * ru_maxrss across execve, so a child would report its parent's peak when that was higher.
 */
function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS * 1024;
}

const file = process.env.PEAK_RSS_FILE;
if (file) process.on('exit', () => fs.writeFileSync(file, String(peakRssBytes())));
