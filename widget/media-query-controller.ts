import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Tracks one media query and repaints its host when the answer changes. */
export class MediaQueryController implements ReactiveController {
  private _list: MediaQueryList | undefined;
  _matches = false;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _query: string,
  ) {
    _host.addController(this);
  }

  hostConnected(): void {
    this._list = window.matchMedia?.(this._query);
    this._matches = !!this._list?.matches;
    this._list?.addEventListener('change', this._change);
  }

  hostDisconnected(): void {
    this._list?.removeEventListener('change', this._change);
  }

  private readonly _change = (event: MediaQueryListEvent): void => {
    this._matches = event.matches;
    this._host.requestUpdate();
  };
}
