import { useQuery } from '@tanstack/react-query';
import { api, call, type Schemas } from '../../api/client';

/** Every ISP (organizations of kind isp), all pages. */
export function useIsps() {
  return useQuery({
    queryKey: ['organizations', 'isps'],
    queryFn: async () => {
      const isps: Schemas['OrganizationResponse'][] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const data = await call(() =>
          api.GET('/api/v1/organizations', { params: { query: { limit: 200, cursor } } }),
        );
        isps.push(...data.items.filter((o) => o.kind === 'isp'));
        if (!data.nextCursor) break;
        cursor = data.nextCursor;
      }
      return isps;
    },
  });
}

/** One blocking request with its assignments and history. */
export function useRequest(id: string | undefined) {
  return useQuery({
    queryKey: ['blocking-request', id],
    enabled: Boolean(id),
    queryFn: () =>
      call(() => api.GET('/api/v1/blocking-requests/{id}', { params: { path: { id: id! } } })),
  });
}
