import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Tracks one media query and repaints its host when the answer changes. */
export class MediaQueryController implements ReactiveController {
  private list: MediaQueryList | null = null;
  matches = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly query: string,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.list = typeof matchMedia === 'function' ? matchMedia(this.query) : null;
    this.matches = this.list?.matches ?? false;
    this.list?.addEventListener('change', this.handleChange);
  }

  hostDisconnected(): void {
    this.list?.removeEventListener('change', this.handleChange);
    this.list = null;
  }

  private readonly handleChange = (event: MediaQueryListEvent): void => {
    this.matches = event.matches;
    this.host.requestUpdate();
  };
}
