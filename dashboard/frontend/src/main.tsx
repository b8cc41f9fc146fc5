import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, get, onUnauthorized, post, setCsrfToken } from './api';
import { ErrorBox, Spinner } from './components/ui';
import { CreateShoot } from './pages/CreateShoot';
import { Credentials } from './pages/Credentials';
import { Login, Logo } from './pages/Login';
import { Members } from './pages/Members';
import { ShootDetails } from './pages/ShootDetails';
import { ShootList } from './pages/ShootList';
import { clearPermissionCache } from './permissions';
import { href, navigate, parseHash, useRoute, type Route } from './router';
import type { List, Project, Session } from './types';
import './styles.css';

function namespaceOf(projects: Project[], name: string): string {
  const p = projects.find((x) => x.metadata.name === name);
  return p?.spec?.namespace || `garden-${name}`;
}

function projectOf(r: Route): string {
  return 'project' in r ? r.project : '';
}

function Header(props: { session: Session; projects: Project[]; route: Route; onLogout: () => void }) {
  const { session, projects, route } = props;
  const current = projectOf(route);
  const section = route.page === 'members' ? 'members' : route.page === 'credentials' ? 'credentials' : 'shoots';
  const names = projects.map((p) => p.metadata.name);
  const known = !current || names.includes(current);
  return (
    <header class="topbar">
      <a class="brand" href="#/">
        <Logo />
        <span>Garden dashboard</span>
      </a>
      <label class="switcher">
        <span class="switcher-label">Project</span>
        <select
          data-testid="project-switcher"
          aria-label="project"
          value={current}
          onChange={(e) => {
            const p = (e.target as HTMLSelectElement).value;
            if (p) navigate(section === 'members' ? href.members(p) : section === 'credentials' ? href.credentials(p) : href.shoots(p));
          }}
        >
          {!current && <option value="">choose…</option>}
          {!known && <option value={current}>{current}</option>}
          {projects.map((p) => (
            <option key={p.metadata.name} value={p.metadata.name}>
              {p.metadata.name}
            </option>
          ))}
        </select>
      </label>
      {current && (
        <nav class="nav">
          <a href={href.shoots(current)} class={section === 'shoots' ? 'active' : ''} data-testid="nav-shoots">
            Shoots
          </a>
          <a href={href.members(current)} class={section === 'members' ? 'active' : ''} data-testid="nav-members">
            Members
          </a>
          <a href={href.credentials(current)} class={section === 'credentials' ? 'active' : ''} data-testid="nav-credentials">
            Credentials
          </a>
        </nav>
      )}
      <div class="spacer" />
      {session.user && (
        <span class="user" data-testid="header-user" title="logged in as">
          {session.user}
        </span>
      )}
      <button class="btn btn-ghost" data-testid="logout" onClick={props.onLogout}>
        Log out
      </button>
    </header>
  );
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(true);
  const [notice, setNotice] = useState('');
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [projectsError, setProjectsError] = useState('');
  const returnTo = useRef('');

  function endSession(message: string, remember = true) {
    setCsrfToken('');
    clearPermissionCache();
    setSession(null);
    setProjects(null);
    setNotice(message);
    returnTo.current = remember && location.hash && location.hash !== href.login() ? location.hash : '';
    navigate(href.login(), true);
  }

  useEffect(() => {
    onUnauthorized((msg) => endSession(msg));
    get<Session>('/api/session', { expect401: true })
      .then((s) => {
        setCsrfToken(s.csrfToken);
        setSession(s);
      })
      .catch((e: ApiError) => {
        if (e.status !== 401) setNotice(`The dashboard did not answer: ${e.message}`);
        if (location.hash && location.hash !== href.login()) returnTo.current = location.hash;
      })
      .finally(() => setChecking(false));
  }, []);

  // End the session in the page when it expires on the server.
  useEffect(() => {
    if (!session?.expiresAt) return;
    const ms = new Date(session.expiresAt).getTime() - Date.now();
    if (!Number.isFinite(ms)) return;
    const t = setTimeout(() => endSession('Your session has expired. Please log in again.'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [session]);

  useEffect(() => {
    if (!session) return;
    let live = true;
    get<List<Project>>('/api/projects')
      .then((l) => {
        if (!live) return;
        setProjects((l?.items || []).slice().sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)));
        setProjectsError('');
      })
      .catch((e: ApiError) => {
        if (!live || e.status === 401) return;
        setProjects([]);
        setProjectsError(`Cannot list your projects: ${e.message}`);
      });
    return () => {
      live = false;
    };
  }, [session]);

  // Where to go when the route does not name a page of a project.
  useEffect(() => {
    if (!session || !projects) return;
    // Check the address as it is now: the user (or a test) may have moved on since this render.
    const now = parseHash(location.hash).page;
    if ((route.page === 'home' || route.page === 'login') && (now === 'home' || now === 'login')) {
      const back = returnTo.current;
      returnTo.current = '';
      if (back && back !== '#/' && back !== href.login()) navigate(back, true);
      else if (projects.length) navigate(href.shoots(projects[0].metadata.name), true);
      else if (route.page === 'login') navigate('#/', true);
    }
  }, [session, projects, route.page]);

  function login(s: Session) {
    setCsrfToken(s.csrfToken);
    clearPermissionCache();
    setNotice('');
    setSession(s);
    if (location.hash === href.login()) navigate('#/', true);
  }

  async function logout() {
    try {
      await post('/api/logout', {});
    } catch {
      /* the session is gone either way */
    }
    endSession('You have logged out.', false);
  }

  const namespace = useMemo(() => namespaceOf(projects || [], projectOf(route)), [projects, route]);

  if (checking) return <Spinner label="Checking the session…" />;
  if (!session) return <Login notice={notice} onLogin={login} />;

  let page;
  if (!projects) page = <Spinner label="Loading projects…" />;
  else {
    switch (route.page) {
      case 'shoots':
        page = <ShootList key={route.project} project={route.project} namespace={namespace} />;
        break;
      case 'shoot':
        page = (
          <ShootDetails
            key={`${route.project}/${route.name}`}
            project={route.project}
            namespace={namespace}
            name={route.name}
            garden={session.garden || ''}
          />
        );
        break;
      case 'create':
        page = <CreateShoot key={route.project} project={route.project} namespace={namespace} />;
        break;
      case 'members':
        page = <Members key={route.project} project={route.project} namespace={namespace} />;
        break;
      case 'credentials':
        page = <Credentials key={route.project} project={route.project} namespace={namespace} />;
        break;
      case 'notfound':
        page = (
          <div class="page">
            <h1>Not found</h1>
            <p>
              There is no page at <code>{route.path}</code>. <a href="#/">Go to your projects.</a>
            </p>
          </div>
        );
        break;
      default:
        page =
          projects.length === 0 ? (
            <div class="page">
              <div class="empty" data-testid="no-projects">
                You are not a member of any project yet. Ask a project's administrator to add you.
              </div>
            </div>
          ) : (
            <Spinner />
          );
    }
  }

  return (
    <div class="app">
      <Header session={session} projects={projects || []} route={route} onLogout={logout} />
      <main class="main">
        <ErrorBox message={projectsError} testid="projects-error" />
        {page}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
