// The console: sign-in, then the page the URL names. Pages are full loads (each opens by its URL),
// and the token stays in this tab's session storage.
import { render } from "preact";
import { useState } from "preact/hooks";
import "./style.css";
import { ApiError, get } from "./api";
import { session } from "./session";
import { MatrixPage } from "./pages/matrix";
import { ProjectPage } from "./pages/project";
import { PairPage } from "./pages/pair";
import { AuditPage } from "./pages/audit";
import { RequestsPage } from "./pages/requests";

type Route =
  | { page: "matrix" }
  | { page: "project"; project: string }
  | { page: "pair"; project: string; environment: string }
  | { page: "audit" }
  | { page: "requests" }
  | { page: "missing" };

function routeOf(pathname: string): Route {
  const parts = pathname
    .replace(/^\/ui\/?/, "")
    .split("/")
    .filter(Boolean)
    .map(decodeURIComponent);
  if (parts.length === 0) return { page: "matrix" };
  if (parts.length === 1 && parts[0] === "audit") return { page: "audit" };
  if (parts.length === 1 && parts[0] === "requests") return { page: "requests" };
  if (parts[0] === "projects" && parts.length === 2) return { page: "project", project: parts[1]! };
  if (parts[0] === "projects" && parts[2] === "environments" && parts.length === 4) {
    return { page: "pair", project: parts[1]!, environment: parts[3]! };
  }
  return { page: "missing" };
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    session.signIn(token.trim());
    try {
      await get("/v1/console/matrix");
      onSignedIn();
    } catch (err) {
      session.signOut();
      setError(err instanceof ApiError && err.status === 401 ? "That token was refused." : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>tenancy</h1>
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p class="hint">The token stays in this browser tab and is forgotten when the tab closes.</p>
    </main>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "matrix":
      return <MatrixPage />;
    case "project":
      return <ProjectPage project={route.project} />;
    case "pair":
      return <PairPage project={route.project} environment={route.environment} />;
    case "audit":
      return <AuditPage />;
    case "requests":
      return <RequestsPage />;
    default:
      return (
        <main>
          <h1>Not found</h1>
          <p>
            No console page at this address. <a href="/ui/">Back to the matrix</a>
          </p>
        </main>
      );
  }
}

function App() {
  const [signedIn, setSignedIn] = useState(session.token() !== undefined);
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const route = routeOf(location.pathname);
  return (
    <>
      <header class="top">
        <a class="brand" href="/ui/">
          tenancy
        </a>
        <nav aria-label="Console">
          <a href="/ui/" aria-current={route.page === "matrix" ? "page" : undefined}>
            Matrix
          </a>
          <a href="/ui/requests" aria-current={route.page === "requests" ? "page" : undefined}>
            Requests
          </a>
          <a href="/ui/audit" aria-current={route.page === "audit" ? "page" : undefined}>
            Audit
          </a>
          <button
            type="button"
            class="link"
            onClick={() => {
              session.signOut();
              setSignedIn(false);
            }}
          >
            Sign out
          </button>
        </nav>
      </header>
      <Page route={route} />
    </>
  );
}

render(<App />, document.getElementById("app")!);
