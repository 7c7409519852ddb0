/** Numbers as the gate's reasons and the status line print them. */

/** 0.0123 -> '1.2%'. */
export const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** 1204 -> '1,204'. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** 4.04 -> '4 ms', 0.34 -> '0.3 ms', 312.4 -> '312 ms'. */
export const ms = (value: number): string => `${value < 10 ? Number(value.toFixed(1)) : Math.round(value)} ms`;

/** 2.43 -> '2.4x'. */
export const ratio = (value: number): string => `${value.toFixed(1)}x`;
