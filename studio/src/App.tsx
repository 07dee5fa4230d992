import { useEffect, useMemo, useRef, useState } from 'react';
import { Body1, Button, Caption1, Field, Select, Spinner, Text, makeStyles, tokens } from '@fluentui/react-components';
import { Api } from './api';
import { ROLES, signIn, type Session } from './auth';
import { APP_TITLE, ErrorBar, PageErrorBoundary, SessionContext } from './common';
import { ConfirmProvider } from './confirm';
import { Link, match, usePath } from './router';
import { EndpointsPage } from './pages/Endpoints';
import { EndpointPage } from './pages/Endpoint';
import { DeployWizard } from './pages/DeployWizard';
import { CreateJobPage } from './pages/CreateJob';
import { JobPage } from './pages/Job';
import { ModelsPage, ModelPage } from './pages/Models';
import { DataAssetPage, DataPage, DatastorePage, DatastoresPage } from './pages/Data';

const useStyles = makeStyles({
  shell: { display: 'grid', gridTemplateColumns: '200px 1fr', gridTemplateRows: 'auto 1fr', minHeight: '100vh' },
  top: {
    gridColumn: '1 / 3',
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalL,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalL}`,
    backgroundColor: tokens.colorBrandBackground,
    color: tokens.colorNeutralForegroundOnBrand,
  },
  brand: { flexGrow: 1, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForegroundOnBrand },
  who: { color: tokens.colorNeutralForegroundOnBrand },
  nav: { padding: tokens.spacingHorizontalM, borderRight: `1px solid ${tokens.colorNeutralStroke2}`, backgroundColor: tokens.colorNeutralBackground2 },
  navList: { listStyleType: 'none', margin: 0, padding: 0, display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  main: { padding: tokens.spacingHorizontalXL, minWidth: 0 },
  picker: { minWidth: '160px' },
  // Visible only when focused: the first Tab stop, so keyboard users can pass the header and menu.
  skip: {
    position: 'absolute',
    left: '-10000px',
    ':focus': { left: tokens.spacingHorizontalM, top: tokens.spacingVerticalM, zIndex: 10, padding: tokens.spacingHorizontalS, backgroundColor: tokens.colorNeutralBackground1 },
  },
  pickerLabel: { color: tokens.colorNeutralForegroundOnBrand },
});

// What the local role picker offers: the three app roles, as a user would hold them.
const VIEWS: Record<string, string[]> = {
  Manage: [ROLES.Read, ROLES.Invoke, ROLES.Manage],
  Invoke: [ROLES.Invoke],
  Read: [ROLES.Read],
};

function viewOf(roles: string[]): string {
  return roles.includes(ROLES.Manage) ? 'Manage' : roles.includes(ROLES.Invoke) ? 'Invoke' : 'Read';
}

export function App() {
  const [session, setSession] = useState<Session>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    signIn().then(setSession, setError);
  }, []);
  const api = useMemo(() => session && new Api(() => session.token()), [session]);
  const styles = useStyles();
  if (error) return <main className={styles.main}><ErrorBar error={error} title="Sign-in failed" /></main>;
  if (!session || !api) return <main className={styles.main}><Spinner label="Signing in" /></main>;

  const switchRoles = async (view: string) => {
    try {
      setSession(await session.switchRoles!(VIEWS[view]!));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <SessionContext.Provider value={{ session, api }}>
      <ConfirmProvider>
      <div className={styles.shell}>
        <a href="#main" className={styles.skip} onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
          Skip to main content
        </a>
        <header className={styles.top}>
          <Text as="span" size={400} className={styles.brand}>
            {APP_TITLE}
          </Text>
          <Body1 className={styles.who} data-testid="signed-in-user">
            {session.user} <Caption1>({session.mode === 'local' ? 'local sign-in' : 'Entra ID'})</Caption1>
          </Body1>
          {session.switchRoles ? (
            <Field label={{ children: 'View as', className: styles.pickerLabel }} orientation="horizontal">
              <Select className={styles.picker} value={viewOf(session.roles)} onChange={(_, d) => void switchRoles(d.value)}>
                <option value="Manage">Manage (all roles)</option>
                <option value="Invoke">Invoke</option>
                <option value="Read">Read</option>
              </Select>
            </Field>
          ) : null}
          {session.signOut ? (
            <Button appearance="primary" onClick={() => void session.signOut!()}>
              Sign out
            </Button>
          ) : null}
        </header>
        <nav className={styles.nav} aria-label="Studio">
          <ul className={styles.navList}>
            <li><Link to="/endpoints">Endpoints</Link></li>
            <li><Link to="/models">Models</Link></li>
            <li><Link to="/data">Data assets</Link></li>
            <li><Link to="/datastores">Datastores</Link></li>
          </ul>
        </nav>
        <main className={styles.main} id="main" tabIndex={-1}>
          <Routes key={session.roles.join(',')} />
        </main>
      </div>
      </ConfirmProvider>
    </SessionContext.Provider>
  );
}

function Routes() {
  const path = usePath();
  // After a page change, focus goes to the new page's heading (screen readers announce it; Tab continues from there).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // Focus already moved (a click or Tab on the new page before its heading came) stays where the user put it:
    // taking it away closed a dropdown the user had just opened.
    const focusedAtChange = document.activeElement;
    const timer = setInterval(() => {
      const focused = document.activeElement;
      if (focused && focused !== focusedAtChange && focused !== document.body) return clearInterval(timer);
      const heading = document.querySelector<HTMLElement>('main h1');
      if (heading) {
        heading.focus();
        clearInterval(timer);
      }
    }, 50);
    const stop = setTimeout(() => clearInterval(timer), 3000);
    return () => {
      clearInterval(timer);
      clearTimeout(stop);
    };
  }, [path]);
  return <PageErrorBoundary key={path}>{pageFor(path)}</PageErrorBoundary>;
}

function pageFor(path: string) {
  let p: Record<string, string> | undefined;
  if (path === '/' || path === '/endpoints') return <EndpointsPage />;
  if (path === '/endpoints/new') return <DeployWizard />;
  if ((p = match('/endpoints/:endpoint/deployments/new', path))) return <DeployWizard endpoint={p.endpoint} />;
  if ((p = match('/endpoints/:endpoint/jobs/new', path))) return <CreateJobPage endpoint={p.endpoint!} />;
  if ((p = match('/endpoints/:endpoint/jobs/:job', path))) return <JobPage endpoint={p.endpoint!} job={p.job!} />;
  if ((p = match('/endpoints/:endpoint/runs', path))) return <EndpointPage endpoint={p.endpoint!} tab="runs" />;
  if ((p = match('/endpoints/:endpoint', path))) return <EndpointPage endpoint={p.endpoint!} tab="details" />;
  if (path === '/models') return <ModelsPage />;
  if ((p = match('/models/:model/deploy', path))) return <DeployWizard model={p.model} />;
  if ((p = match('/models/:model', path))) return <ModelPage model={p.model!} />;
  if (path === '/data') return <DataPage />;
  if (path === '/datastores') return <DatastoresPage />;
  if ((p = match('/data/:name', path))) return <DataAssetPage name={p.name!} />;
  if ((p = match('/datastores/:name', path))) return <DatastorePage name={p.name!} />;
  return <ErrorBar error={new Error(`No page at ${path}.`)} title="Not found" />;
}
