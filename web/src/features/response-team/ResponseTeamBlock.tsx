import { useQuery } from '@tanstack/react-query';
import { Typography } from 'antd';
import { api, call } from '../../api/client';
import { useMessages } from '../../i18n/i18n';
import { team } from './messages';

/**
 * The response team's contacts (GET /response-team, public): for the sign-in page's footer.
 * Says nothing while loading or when the service answers no contacts.
 */
export default function ResponseTeamBlock() {
  const t = useMessages(team);
  const query = useQuery({
    queryKey: ['response-team'],
    queryFn: () => call(() => api.GET('/api/v1/response-team')),
    retry: false,
    staleTime: 300_000,
  });
  const c = query.data;
  if (!c) return null;
  const rows: [string, string | null | undefined, string?][] = [
    [t('hotline'), c.hotline, c.hotline ? `tel:${c.hotline.replace(/[^\d+]/g, '')}` : undefined],
    [t('phone'), c.phone, c.phone ? `tel:${c.phone.replace(/[^\d+]/g, '')}` : undefined],
    [t('email'), c.email, c.email ? `mailto:${c.email}` : undefined],
    [
      t('incidentMailbox'),
      c.incidentMailbox,
      c.incidentMailbox ? `mailto:${c.incidentMailbox}` : undefined,
    ],
  ];
  return (
    <footer
      aria-labelledby="response-team-title"
      style={{ marginTop: 20, borderTop: '1px solid #f0f0f0', paddingTop: 12 }}
    >
      <Typography.Title level={2} id="response-team-title" style={{ fontSize: 15, margin: 0 }}>
        {t('blockTitle')} · {c.name}
      </Typography.Title>
      <dl style={{ margin: '4px 0 0' }}>
        {rows
          .filter(([, value]) => value)
          .map(([label, value, href]) => (
            <div key={label}>
              <dt style={{ display: 'inline', fontWeight: 600 }}>{label}: </dt>
              <dd style={{ display: 'inline', margin: 0 }}>
                {href ? (
                  <a href={href} style={{ color: '#0b5cad' }}>
                    {value}
                  </a>
                ) : (
                  value
                )}
              </dd>
            </div>
          ))}
      </dl>
    </footer>
  );
}
