import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Assignments() {
  return <Page title="Assignments">…</Page>;
}
