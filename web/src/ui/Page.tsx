import type { ReactNode } from 'react';
import { Flex, Typography } from 'antd';

/** A screen: its title (the page's one h1, also the document's title) and actions. */
export function Page({
  title,
  extra,
  children,
}: {
  title: string;
  extra?: ReactNode;
  children: ReactNode;
}) {
  document.title = title;
  return (
    <section aria-labelledby="page-title">
      <Flex justify="space-between" align="center" wrap gap="middle" style={{ marginBottom: 16 }}>
        <Typography.Title level={1} id="page-title" style={{ margin: 0, fontSize: 24 }}>
          {title}
        </Typography.Title>
        {extra}
      </Flex>
      {children}
    </section>
  );
}
