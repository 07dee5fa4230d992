/** Console logger with levels, in the style of `func start` output. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function createLogger(level: LogLevel = 'info'): Logger {
  const enabled = (l: LogLevel) => order[l] >= order[level];
  const write = (l: LogLevel, message: string) => {
    if (!enabled(l)) return;
    const line = `[${new Date().toISOString()}] ${message}\n`;
    (l === 'error' || l === 'warn' ? process.stderr : process.stdout).write(line);
  };
  return {
    debug: (m) => write('debug', m),
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}

export function parseLogLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  const v = value?.toLowerCase();
  if (v === 'debug' || v === 'info' || v === 'warn' || v === 'error') return v;
  if (v === 'information') return 'info';
  if (v === 'warning') return 'warn';
  return fallback;
}
