/** How the estimator writes volumes and dollars. */

/** 20M, 600M, 3B, 1.5K. */
export function formatVolume(requests: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of units) if (requests >= size) return `${+(requests / size).toPrecision(3)}${suffix}`;
  return String(Math.round(requests));
}

/** $1,234 from $100, $12.34 from 10 cents, $0.0123 below. */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd)) return '–';
  const size = Math.abs(usd);
  const digits = size >= 100 ? 0 : size >= 0.1 || size === 0 ? 2 : 4;
  return `$${usd.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}
