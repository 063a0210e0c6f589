import { useState, type ReactNode } from 'react';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
  Modal,
  Timeline,
  Typography,
} from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { problemOf } from '../../api/problem';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { ApprovalCheck, useApprovalCheck, type ProtectedHit } from './ApprovalCheck';
import { requests } from './messages';
import {
  ActorName,
  EmptyState,
  SeverityTag,
  StatusTag,
  ToneTag,
  useDeadlineText,
  useOrganizationNames,
  type RequestStatus,
  DataTable,
} from './shared';

type Detail = Schemas['BlockingRequestDetail'];
type Item = Schemas['RequestItemResponse'];
type Assignment = Schemas['AssignmentSummary'];

type Action =
  | { kind: 'submit' }
  | { kind: 'approve' }
  | { kind: 'return'; reason: string }
  | { kind: 'withdraw'; reason: string };

const DONE = {
  submit: 'submitted',
  approve: 'approved',
  return: 'returned',
  withdraw: 'withdrawn',
};

/** One blocking request: its facts, what approving it needs, its items, history, assignments. */
export default function RequestDetail() {
  const { id = '' } = useParams();
  const query = useQuery({
    queryKey: ['blocking-request', id],
    queryFn: () =>
      call(() => api.GET('/api/v1/blocking-requests/{id}', { params: { path: { id } } })),
  });
  return (
    <QueryState query={query}>
      {(request) => <RequestView request={request} reload={() => void query.refetch()} />}
    </QueryState>
  );
}

function RequestView({ request, reload }: { request: Detail; reload: () => void }) {
  const t = useMessages(requests);
  const c = useMessages(common);
  const f = useFormat();
  const deadline = useDeadlineText();
  const session = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const organizations = useOrganizationNames();
  const me = session.claims?.sub;
  const isAnalyst = hasAnyRole(session, ['analyst']);
  const isApprover = hasAnyRole(session, ['approver']);
  const pending = request.status === 'pending_approval';
  const wrote = !!me && request.createdBy === me;
  const submitted = !!me && request.submittedBy === me;
  const twoPerson = isApprover && pending && (wrote || submitted);

  const [notice, setNotice] = useState<string | null>(null);
  const [modal, setModal] = useState<Action['kind'] | null>(null);
  const [form] = Form.useForm<{ reason: string }>();

  const canCheckProtected = hasAnyRole(session, ['admin', 'analyst', 'approver']);
  const check = useApprovalCheck(request, pending, canCheckProtected);
  const ispCount =
    organizations.size > 0
      ? [...organizations.values()].filter((o) => o.kind === 'isp').length
      : undefined;

  const mutation = useMutation({
    mutationFn: (action: Action) => {
      const path = { path: { id: request.id } };
      const version = request.version;
      switch (action.kind) {
        case 'submit':
          return call(() =>
            api.POST('/api/v1/blocking-requests/{id}/submit', {
              params: path,
              body: { version },
            }),
          );
        case 'approve':
          return call(() =>
            api.POST('/api/v1/blocking-requests/{id}/approve', {
              params: path,
              body: { version },
            }),
          );
        case 'return':
          return call(() =>
            api.POST('/api/v1/blocking-requests/{id}/return', {
              params: path,
              body: { version, comment: action.reason },
            }),
          );
        case 'withdraw':
          return call(() =>
            api.POST('/api/v1/blocking-requests/{id}/withdraw', {
              params: path,
              body: { version, reason: action.reason },
            }),
          );
      }
    },
    onMutate: () => setNotice(null),
    onSuccess: (data, action) => {
      queryClient.setQueryData(['blocking-request', request.id], data);
      void queryClient.invalidateQueries({ queryKey: ['blocking-request', request.id] });
      void queryClient.invalidateQueries({ queryKey: ['blocking-requests'] });
      void queryClient.invalidateQueries({ queryKey: ['assignments'] });
      setNotice(t(DONE[action.kind] as keyof typeof requests.vi));
      setModal(null);
      form.resetFields();
    },
    onError: () => setModal(null),
  });
  const run = (action: Action) => mutation.mutate(action);
  const conflict = mutation.error ? problemOf(mutation.error).status === 409 : false;

  const actions: ReactNode[] = [];
  if (isAnalyst && request.status === 'draft') {
    actions.push(
      <Button key="edit" onClick={() => void navigate(`/requests/${request.id}/edit`)}>
        {t('edit')}
      </Button>,
      <Button key="submit" type="primary" onClick={() => setModal('submit')}>
        {t('submit')}
      </Button>,
    );
  }
  if (isApprover && pending) {
    actions.push(
      <Button key="return" onClick={() => setModal('return')}>
        {t('returnAction')}
      </Button>,
      <Button
        key="approve"
        type="primary"
        disabled={twoPerson}
        aria-describedby={twoPerson ? 'two-person-rule' : undefined}
        onClick={() => setModal('approve')}
      >
        {t('approve')}
      </Button>,
    );
  }
  if (isApprover && (request.status === 'published' || request.status === 'completed')) {
    actions.push(
      <Button key="withdraw" onClick={() => setModal('withdraw')}>
        {t('withdraw')}
      </Button>,
    );
  }

  const targets = request.targetsAll
    ? t('targetsAll')
    : request.targetOrganizationIds.map((o) => organizations.get(o)?.name ?? o).join(', ');

  const protectedIds = new Set(check.state.protectedHits.map((h) => h.item.indicatorId));

  return (
    <Page
      title={t('detailTitle', { number: request.documentNumber })}
      extra={actions.length > 0 ? <Flex gap="small">{actions}</Flex> : null}
    >
      <Flex vertical gap="middle">
        {notice ? <Alert type="success" role="status" showIcon title={notice} closable /> : null}
        {mutation.error ? (
          <div>
            <ProblemAlert error={mutation.error} />
            {conflict ? (
              <Alert
                type="warning"
                showIcon
                style={{ marginTop: 8 }}
                title={t('conflict')}
                action={
                  <Button
                    onClick={() => {
                      mutation.reset();
                      reload();
                    }}
                  >
                    {t('reload')}
                  </Button>
                }
              />
            ) : null}
          </div>
        ) : null}
        {twoPerson ? (
          <Alert
            id="two-person-rule"
            type="warning"
            showIcon
            title={t('twoPersonTitle')}
            description={submitted ? t('twoPersonSubmitted') : t('twoPersonWrote')}
          />
        ) : null}

        <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t('facts')}</h2>}>
          <Descriptions
            styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
            column={{ xs: 1, md: 2 }}
            size="small"
            items={[
              { key: 'number', label: t('documentNumber'), children: request.documentNumber },
              {
                key: 'status',
                label: t('status'),
                children: <StatusTag status={request.status} />,
              },
              { key: 'title', label: t('title'), children: request.title, span: 2 },
              { key: 'legal', label: t('legalBasis'), children: request.legalBasis, span: 2 },
              ...(request.description
                ? [
                    {
                      key: 'description',
                      label: t('description'),
                      children: request.description,
                      span: 2,
                    },
                  ]
                : []),
              {
                key: 'category',
                label: t('category'),
                children: c(`category_${request.category}`),
              },
              {
                key: 'severity',
                label: t('severity'),
                children: <SeverityTag severity={request.severity} />,
              },
              { key: 'targets', label: t('targets'), children: targets, span: 2 },
              { key: 'dns', label: t('dnsAction'), children: t(`dns_${request.dnsAction}`) },
              { key: 'ip', label: t('ipAction'), children: t(`ip_${request.ipAction}`) },
              { key: 'deadline', label: t('deadline'), children: deadline(request) },
              { key: 'items', label: t('items'), children: f.number(request.itemCount) },
              {
                key: 'createdBy',
                label: t('createdBy'),
                children: <ActorName id={request.createdBy} />,
              },
              { key: 'created', label: t('created'), children: f.dateTime(request.createdAt) },
              ...(request.submittedBy
                ? [
                    {
                      key: 'submittedBy',
                      label: t('submittedBy'),
                      children: <ActorName id={request.submittedBy} />,
                    },
                  ]
                : []),
              ...(request.approvedBy
                ? [
                    {
                      key: 'approvedBy',
                      label: t('approvedBy'),
                      children: <ActorName id={request.approvedBy} />,
                    },
                    {
                      key: 'published',
                      label: t('publishedAt'),
                      children: f.dateTime(request.publishedAt),
                    },
                  ]
                : []),
              ...(request.withdrawnAt
                ? [
                    {
                      key: 'withdrawn',
                      label: t('withdrawnAt'),
                      children: f.dateTime(request.withdrawnAt),
                    },
                    {
                      key: 'withdrawalReason',
                      label: t('withdrawalReason'),
                      children: request.withdrawalReason ?? '—',
                    },
                  ]
                : []),
              { key: 'version', label: t('version'), children: request.version },
            ]}
          />
        </Card>

        {pending ? <ApprovalCheck request={request} check={check} ispCount={ispCount} /> : null}

        {request.assignments.length > 0 ? (
          <Assignments request={request} organizations={organizations} />
        ) : null}

        <Items request={request} protectedIds={protectedIds} hits={check.state.protectedHits} />

        <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t('history')}</h2>}>
          {request.history.length === 0 ? (
            <EmptyState text={t('noHistory')} />
          ) : (
            <Timeline
              items={request.history.map((h, i) => ({
                key: i,
                content: (
                  <div>
                    <div>
                      <span>{f.dateTime(h.at)}</span>{' '}
                      <strong>
                        {h.from
                          ? t('historyEntry', {
                              from: c(`status_${h.from as RequestStatus}`),
                              to: c(`status_${h.to as RequestStatus}`),
                            })
                          : t('historyCreated', { to: c(`status_${h.to as RequestStatus}`) })}
                      </strong>{' '}
                      {h.actorId ? (
                        <span>
                          · {t('by', { who: '' })}
                          <ActorName id={h.actorId} />
                        </span>
                      ) : null}
                    </div>
                    {h.comment ? (
                      <Typography.Paragraph style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
                        {h.comment}
                      </Typography.Paragraph>
                    ) : null}
                  </div>
                ),
              }))}
            />
          )}
        </Card>
      </Flex>

      <Modal
        open={modal === 'submit' || modal === 'approve'}
        title={modal === 'approve' ? t('approveTitle') : t('submit')}
        okText={modal === 'approve' ? t('approve') : t('submit')}
        cancelText={c('cancel')}
        onOk={() => modal && run({ kind: modal } as Action)}
        onCancel={() => setModal(null)}
        confirmLoading={mutation.isPending}
        okButtonProps={{ autoFocus: true }}
        destroyOnHidden
      >
        <p>
          {modal === 'approve'
            ? t('approveConfirm', { number: request.documentNumber, count: request.itemCount })
            : t('submitConfirm', { number: request.documentNumber, count: request.itemCount })}
        </p>
      </Modal>

      <Modal
        open={modal === 'return' || modal === 'withdraw'}
        title={modal === 'withdraw' ? t('withdrawTitle') : t('returnTitle')}
        okText={modal === 'withdraw' ? t('withdraw') : t('returnAction')}
        cancelText={c('cancel')}
        onOk={() =>
          void form.validateFields().then((v) => {
            const reason = v.reason.trim();
            run(modal === 'withdraw' ? { kind: 'withdraw', reason } : { kind: 'return', reason });
          })
        }
        onCancel={() => setModal(null)}
        confirmLoading={mutation.isPending}
        forceRender
      >
        <Form form={form} layout="vertical" name="reason-form">
          <Form.Item
            name="reason"
            label={modal === 'withdraw' ? t('withdrawReason') : t('returnReason')}
            rules={[{ required: true, whitespace: true, message: t('reasonRequired') }]}
          >
            <Input.TextArea rows={3} maxLength={2000} />
          </Form.Item>
        </Form>
      </Modal>
    </Page>
  );
}

function Assignments({
  request,
  organizations,
}: {
  request: Detail;
  organizations: Map<string, Schemas['OrganizationResponse']>;
}) {
  const t = useMessages(requests);
  const c = useMessages(common);
  const f = useFormat();
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t('assignmentsTitle')}</h2>}>
      <DataTable<Assignment>
        rowKey="id"
        dataSource={request.assignments}
        pagination={false}
        size="small"
        caption={<span className="visually-hidden">{t('assignmentsCaption')}</span>}
        columns={[
          {
            title: t('organization'),
            dataIndex: 'organizationId',
            render: (value: string) => organizations.get(value)?.name ?? value,
          },
          {
            title: t('status'),
            key: 'status',
            render: (_, a) => (
              <Flex gap={4} wrap>
                <ToneTag
                  tone={
                    a.status === 'applied'
                      ? 'success'
                      : a.status === 'rejected'
                        ? 'danger'
                        : a.status === 'partially_applied'
                          ? 'caution'
                          : 'neutral'
                  }
                >
                  {c(`assignment_${a.status}`)}
                </ToneTag>
                {a.overdue ? <ToneTag tone="danger">{t('overdue')}</ToneTag> : null}
              </Flex>
            ),
          },
          {
            title: t('deadline'),
            dataIndex: 'deadlineAt',
            render: (value: string) => f.dateTime(value),
          },
          {
            title: t('acknowledgedAt'),
            dataIndex: 'acknowledgedAt',
            render: (value: string | null) => f.dateTime(value),
          },
          {
            title: t('appliedAt'),
            dataIndex: 'appliedAt',
            render: (value: string | null) => f.dateTime(value),
          },
          {
            title: t('lastReason'),
            dataIndex: 'lastConfirmationReason',
            render: (value: string | null) => value ?? '—',
          },
        ]}
      />
    </Card>
  );
}

function Items({
  request,
  protectedIds,
  hits,
}: {
  request: Detail;
  protectedIds: Set<string>;
  hits: ProtectedHit[];
}) {
  const t = useMessages(requests);
  const c = useMessages(common);
  const f = useFormat();
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['blocking-request', request.id, 'items', request.version, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/blocking-requests/{id}/items', {
          params: { path: { id: request.id }, query: { limit: 100, cursor: pages.cursor } },
        }),
      ),
    placeholderData: (previous) => previous,
  });
  const reasons = new Map(hits.map((h) => [h.item.indicatorId, h.matches[0]?.reason ?? '']));
  const indicatorStatus = (s: string) =>
    s === 'active' || s === 'expired' || s === 'revoked' ? t(`ind_${s}`) : s;
  return (
    <Card
      title={
        <h2 style={{ margin: 0, fontSize: 18 }}>
          {t('itemsTitle', { count: f.number(request.itemCount) })}
        </h2>
      }
    >
      <QueryState query={query}>
        {(data) => (
          <>
            <DataTable<Item>
              rowKey="indicatorId"
              dataSource={data.items}
              pagination={false}
              size="small"
              caption={<span className="visually-hidden">{t('itemsCaption')}</span>}
              columns={[
                {
                  title: t('value'),
                  key: 'value',
                  render: (_, i) => (
                    <Flex gap="small" wrap align="center">
                      <code style={{ wordBreak: 'break-all' }}>{i.value}</code>
                      {protectedIds.has(i.indicatorId) ? (
                        <ToneTag tone="danger" title={reasons.get(i.indicatorId)}>
                          {t('protectedTag')}
                        </ToneTag>
                      ) : null}
                    </Flex>
                  ),
                },
                {
                  title: t('type'),
                  dataIndex: 'type',
                  render: (value: Item['type']) => c(`type_${value}`),
                },
                {
                  title: t('operation'),
                  dataIndex: 'operation',
                  render: (value: Item['operation']) => t(`op_${value}`),
                },
                {
                  title: t('indicatorStatus'),
                  dataIndex: 'indicatorStatus',
                  render: (value: string) => indicatorStatus(value),
                },
                { title: t('tlp'), dataIndex: 'tlp' },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Card>
  );
}
