import type { FakeRequest, FakeResponse } from '../http';

export const PAGE_SIZE = 20;

interface Listed {
  view: any;
  created: Date;
  name: string;
}

/**
 * One page of an ARM list: `$orderBy` (`createdtime asc|desc`, `name asc|desc`; newest first by default),
 * `$top` (a cap on the whole list), and `nextLink` back to the fake with a `$skipToken` when more remain.
 */
export function listPage(req: FakeRequest, items: Listed[], baseUrl: string, defaultOrder = 'createdtime desc'): FakeResponse {
  const q = req.url.searchParams;
  const order = (q.get('$orderBy') ?? q.get('orderBy') ?? defaultOrder).trim().toLowerCase();
  const [field, direction = 'asc'] = order.split(/\s+/);
  const sign = direction === 'desc' ? -1 : 1;
  const sorted = [...items].sort((a, b) => {
    const d = field === 'name' ? a.name.localeCompare(b.name) : a.created.getTime() - b.created.getTime();
    return sign * d;
  });
  const top = q.get('$top');
  const capped = top !== null && /^\d+$/.test(top) ? sorted.slice(0, Number(top)) : sorted;
  const skip = Number(q.get('$skipToken') ?? 0) || 0;
  const page = capped.slice(skip, skip + PAGE_SIZE);
  const body: { value: unknown[]; nextLink?: string } = { value: page.map((i) => i.view) };
  if (skip + PAGE_SIZE < capped.length) {
    const next = new URL(req.url.pathname + req.url.search, baseUrl);
    next.searchParams.set('$skipToken', String(skip + PAGE_SIZE));
    body.nextLink = next.href;
  }
  return { status: 200, body };
}
