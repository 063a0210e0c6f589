import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';

/**
 * The names behind the ids of the audit screens: organizations, users and blocking requests
 * (the first 200 of each, for the filters' choices and the table's names). A failure leaves the
 * ids as they are: the screens still work on ids.
 */
export function useOrganizations() {
  return useQuery({
    queryKey: ['audit-directory', 'organizations'],
    staleTime: 60_000,
    queryFn: () =>
      call(() => api.GET('/api/v1/organizations', { params: { query: { limit: 200 } } })),
  });
}

export function useUsers() {
  return useQuery({
    queryKey: ['audit-directory', 'users'],
    staleTime: 60_000,
    queryFn: () => call(() => api.GET('/api/v1/users', { params: { query: { limit: 200 } } })),
  });
}

export function useBlockingRequests() {
  return useQuery({
    queryKey: ['audit-directory', 'blocking-requests'],
    staleTime: 60_000,
    queryFn: () =>
      call(() => api.GET('/api/v1/blocking-requests', { params: { query: { limit: 200 } } })),
  });
}

/** `{value, label}` choices for a Select, sorted by label. */
export function choices<T>(
  items: T[] | undefined,
  value: (item: T) => string,
  label: (item: T) => string,
): { value: string; label: string }[] {
  return (items ?? [])
    .map((item) => ({ value: value(item), label: label(item) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}
