/**
 * The console's routes, all under /app/ (the API owns every other path). Views are loaded
 * lazily, one chunk each, so the first page stays small. `meta.roles` limits a page to roles;
 * the server still decides every action.
 */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { loadMe, session, type Role } from '../store/session';
import { whenUnauthorized } from '../api/client';

declare module 'vue-router' {
  interface RouteMeta {
    /** Title in the header and the browser tab. */
    title?: string;
    /** Reachable without signing in. */
    public?: boolean;
    /** Only these roles (default: everyone signed in). */
    roles?: Role[];
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/tasks' },
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true, title: '登录' } },
  { path: '/password', name: 'password', component: () => import('../views/PasswordView.vue'), meta: { title: '修改密码' } },
  {
    path: '/',
    component: () => import('../components/ConsoleLayout.vue'),
    children: [
      { path: 'tasks', name: 'tasks', component: () => import('../views/TasksView.vue'), meta: { title: '我的待办' } },
      { path: 'done', name: 'done', component: () => import('../views/DoneView.vue'), meta: { title: '已办' } },
      { path: 'notifications', name: 'notifications', component: () => import('../views/NotificationsView.vue'), meta: { title: '通知' } },
      { path: 'projects', name: 'projects', component: () => import('../views/ProjectsView.vue'), meta: { title: '项目列表' } },
      { path: 'projects/new', name: 'propose', component: () => import('../views/ProposeView.vue'), meta: { title: '申报项目', roles: ['secretary'] } },
      { path: 'projects/:id/edit', name: 'edit', component: () => import('../views/ProposeView.vue'), meta: { title: '修改项目', roles: ['secretary'] } },
      { path: 'projects/:id', name: 'project', component: () => import('../views/ProjectView.vue'), meta: { title: '项目详情' } },
      { path: 'audit/:id', name: 'audit', component: () => import('../views/AuditView.vue'), meta: { title: '审计回放', roles: ['auditor', 'committee'] } },
      { path: 'cycles', name: 'dashboard', component: () => import('../views/DashboardView.vue'), meta: { title: '周期看板', roles: ['committee', 'auditor'] } },
      { path: 'cycles/open', name: 'cycle-open', component: () => import('../views/CycleOpenView.vue'), meta: { title: '开启年度周期', roles: ['committee'] } },
      { path: 'verify', name: 'cycle-verify', component: () => import('../views/CycleVerifyView.vue'), meta: { title: '全周期核验', roles: ['auditor', 'committee'] } },
      { path: 'lists', name: 'lists', component: () => import('../views/ListsView.vue'), meta: { title: '评优与成果汇编', roles: ['committee', 'auditor'] } },
      { path: 'inspections', name: 'inspections', component: () => import('../views/InspectionsView.vue'), meta: { title: '督查任务', roles: ['inspector'] } },
      { path: 'annual-tasks', name: 'annual-tasks', component: () => import('../views/AnnualTasksView.vue'), meta: { title: '年度任务清单', roles: ['secretary'] } },
      { path: 'problems', name: 'problems', component: () => import('../views/ProblemsView.vue'), meta: { title: '问题清单', roles: ['secretary', 'committee'] } },
      { path: 'orgs', name: 'orgs', component: () => import('../views/OrgsView.vue'), meta: { title: '组织管理', roles: ['committee'] } },
      { path: 'users', name: 'users', component: () => import('../views/UsersView.vue'), meta: { title: '用户管理', roles: ['committee'] } },
      { path: 'import', name: 'import', component: () => import('../views/ImportView.vue'), meta: { title: '批量导入', roles: ['committee'] } },
    ],
  },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { public: true, title: '页面不存在' } },
];

export const router = createRouter({ history: createWebHistory('/app/'), routes });

router.beforeEach(async (to) => {
  const me = await loadMe().catch(() => null);
  if (to.meta.public) return true;
  if (!me) return { name: 'login', query: to.fullPath !== '/tasks' ? { next: to.fullPath } : {} };
  if (me.mustChangePassword && to.name !== 'password') return { name: 'password' };
  if (to.meta.roles && !to.meta.roles.includes(me.role as Role)) return { name: 'tasks' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - 党建项目全周期管理` : '党建项目全周期管理';
});

whenUnauthorized(() => {
  if (!session.me) return;
  session.me = null;
  void router.push({ name: 'login' });
});
