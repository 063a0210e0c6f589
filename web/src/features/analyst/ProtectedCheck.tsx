import { useState } from 'react';
import { Alert, Button, Flex, Form, Input, Progress, Typography } from 'antd';
import { useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { CheckResults, CheckSummary } from './CheckResults';
import { analyst } from './messages';
import { useValueCheck } from './useValueCheck';

/** Which of some values are protected (by which list entry, why) or invalid. */
export default function ProtectedCheck() {
  const t = useMessages(analyst);
  const [text, setText] = useState('');
  const check = useValueCheck();
  const [empty, setEmpty] = useState(false);

  async function run() {
    const result = await check.run(text);
    setEmpty(result !== null && result.values.length === 0);
  }

  return (
    <Page title={t('protectedTitle')}>
      <Typography.Paragraph>{t('protectedLead')}</Typography.Paragraph>
      <Form layout="vertical" onFinish={() => void run()}>
        <Form.Item label={t('values')} htmlFor="protected-values">
          <Input.TextArea
            id="protected-values"
            rows={8}
            value={text}
            onChange={(e) => setText(e.target.value)}
            spellCheck={false}
          />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={check.busy}>
          {t('check')}
        </Button>
      </Form>
      <Flex vertical gap="middle" style={{ marginTop: 16 }}>
        {check.progress ? (
          <Progress
            aria-label={t('checking', check.progress)}
            percent={Math.round((check.progress.done / check.progress.total) * 100)}
          />
        ) : null}
        {check.error ? <ProblemAlert error={check.error} /> : null}
        {empty ? <Alert role="status" type="info" title={t('nothingToCheck')} /> : null}
        {check.outcome ? (
          <>
            <CheckSummary outcome={check.outcome} />
            <CheckResults key={check.outcome.id} outcome={check.outcome} />
          </>
        ) : null}
      </Flex>
    </Page>
  );
}
