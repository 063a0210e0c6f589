import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function FeedStatus() {
  return <Page title="FeedStatus">…</Page>;
}
