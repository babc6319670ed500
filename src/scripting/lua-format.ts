/*
 * C's printf "%.<p>g" for doubles: the number format of lua-cjson (p = 14), of redis.call's number
 * arguments (p = 17) and of Lua 5.1's tostring (p = 14).
 */

export function formatG(n: number, p: number): string {
  if (Number.isNaN(n)) return n < 0 ? '-nan' : 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = n.toExponential(p - 1);
  const e = Number(exp.slice(exp.indexOf('e') + 1));
  if (e < -4 || e >= p) {
    let mant = exp.slice(0, exp.indexOf('e'));
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const abs = Math.abs(e);
    return `${mant}e${e < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  let fixed = n.toFixed(Math.max(0, p - 1 - e));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}
