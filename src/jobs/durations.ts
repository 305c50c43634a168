/**
 * Whole seconds as an ISO-8601 duration, the way the Azure ML CLI writes job timeouts
 * (Python `isodate.duration_isoformat(timedelta(seconds=n))`): days, then hours, minutes and seconds,
 * leaving out zero parts, so 3600 -> "PT1H", 90061 -> "P1DT1H1M1S".
 */
export function secondsToIsoDuration(totalSeconds: number): string {
  if (!Number.isSafeInteger(totalSeconds) || totalSeconds < 0) {
    throw new RangeError(`A duration must be a whole, non-negative number of seconds, got ${totalSeconds}`);
  }
  const days = Math.floor(totalSeconds / 86400);
  const hours = Math.floor((totalSeconds % 86400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;

  let text = 'P';
  if (days > 0) text += `${days}D`;
  if (hours > 0 || minutes > 0 || seconds > 0) {
    text += 'T';
    if (hours > 0) text += `${hours}H`;
    if (minutes > 0) text += `${minutes}M`;
    if (seconds > 0) text += `${seconds}S`;
  }
  return text === 'P' ? 'P0D' : text;
}
