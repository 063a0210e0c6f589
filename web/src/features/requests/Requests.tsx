import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Requests() {
  return <Page title="Requests">…</Page>;
}
