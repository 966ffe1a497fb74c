// Preloaded (node --require) into a process whose peak memory the bench wants: at exit, appends
// the kernel's high-water mark of its resident set (VmHWM, /proc/self/status) to BENCH_PEAK_FILE.
const fs = require('node:fs');
process.on('exit', () => {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  fs.appendFileSync(process.env.BENCH_PEAK_FILE, `${kb * 1024}\n`);
});
