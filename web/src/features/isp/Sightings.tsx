import { Page } from '../../ui/Page';

/** Placeholder: filled in by the screen's work. */
export default function Sightings() {
  return <Page title="Sightings">…</Page>;
}
