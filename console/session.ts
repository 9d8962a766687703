// The token lives in this tab's session storage only: never in a URL, a cookie or local storage,
// and gone when the tab closes.
const key = "tenancy.token";

export const session = {
  token(): string | undefined {
    return sessionStorage.getItem(key) ?? undefined;
  },
  signIn(token: string) {
    sessionStorage.setItem(key, token);
  },
  signOut() {
    sessionStorage.removeItem(key);
  },
};
