/**
 * Word lists for the city generator: city government departments (市直机关), their business
 * lines, division names for branches, party-building themes, indicators, milestones and names.
 * Static data only; the generator picks from it with its seeded PRNG.
 */

export type UnitSize = 'S' | 'M' | 'L';

export interface UnitTemplate {
  /** e.g. 市财政局. */
  name: string;
  /** Whether the unit is led by a 党组 or a 党委. */
  party: '党组' | '党委';
  /** How many branches the unit tends to have, relative to the others. */
  size: UnitSize;
  /** The unit's business lines, for project titles and business goals (党建与业务融合). */
  business: readonly string[];
}

/** Sixty departments and bodies directly under a city (市直机关). */
export const UNIT_CATALOG: readonly UnitTemplate[] = [
  { name: '市人民政府办公室', party: '党组', size: 'M', business: ['政务督查', '政务公开', '公文运转'] },
  { name: '市发展和改革委员会', party: '党组', size: 'L', business: ['重大项目建设', '营商环境优化', '社会信用体系建设'] },
  { name: '市教育局', party: '党组', size: 'L', business: ['课后服务', '义务教育优质均衡', '校园安全'] },
  { name: '市科学技术局', party: '党组', size: 'M', business: ['科技企业孵化', '科技成果转化', '创新平台建设'] },
  { name: '市工业和信息化局', party: '党组', size: 'M', business: ['中小企业服务', '制造业数字化转型', '产业链稳链补链'] },
  { name: '市民族宗教事务局', party: '党组', size: 'S', business: ['民族团结进步创建', '宗教事务依法治理', '少数民族群众服务'] },
  { name: '市公安局', party: '党委', size: 'L', business: ['社区警务', '户政服务', '道路交通安全治理'] },
  { name: '市民政局', party: '党组', size: 'M', business: ['居家养老服务', '社会救助', '婚姻登记服务'] },
  { name: '市司法局', party: '党组', size: 'M', business: ['公共法律服务', '人民调解', '法治宣传教育'] },
  { name: '市财政局', party: '党组', size: 'M', business: ['预算绩效管理', '财政资金直达', '政府采购服务'] },
  { name: '市人力资源和社会保障局', party: '党组', size: 'L', business: ['稳岗就业', '社保经办服务', '根治欠薪'] },
  { name: '市自然资源和规划局', party: '党组', size: 'L', business: ['不动产登记', '耕地保护', '国土空间规划'] },
  { name: '市生态环境局', party: '党组', size: 'M', business: ['大气污染防治', '河湖水质提升', '环评审批服务'] },
  { name: '市住房和城乡建设局', party: '党组', size: 'L', business: ['老旧小区改造', '保障性住房建设', '建筑施工安全监管'] },
  { name: '市城市管理局', party: '党组', size: 'L', business: ['市容环境整治', '生活垃圾分类', '城市精细化管理'] },
  { name: '市交通运输局', party: '党组', size: 'L', business: ['农村公路建设', '公交出行服务', '交通运输安全'] },
  { name: '市水务局', party: '党组', size: 'M', business: ['城乡供水保障', '防汛抗旱', '河长制落实'] },
  { name: '市农业农村局', party: '党组', size: 'M', business: ['乡村振兴', '高标准农田建设', '农产品质量安全'] },
  { name: '市商务局', party: '党组', size: 'M', business: ['消费提振', '外贸稳增长', '招商引资'] },
  { name: '市文化广电和旅游局', party: '党组', size: 'M', business: ['公共文化服务', '文旅融合发展', '文化市场监管'] },
  { name: '市卫生健康委员会', party: '党组', size: 'L', business: ['基层医疗服务', '公共卫生应急', '健康城市建设'] },
  { name: '市退役军人事务局', party: '党组', size: 'S', business: ['退役军人就业创业', '优抚帮扶', '双拥共建'] },
  { name: '市应急管理局', party: '党委', size: 'M', business: ['安全生产监管', '防灾减灾', '应急救援能力建设'] },
  { name: '市审计局', party: '党组', size: 'M', business: ['审计监督全覆盖', '审计整改', '经济责任审计'] },
  { name: '市人民政府国有资产监督管理委员会', party: '党委', size: 'M', business: ['国企改革深化', '国有资产监管', '国企党建与经营融合'] },
  { name: '市市场监督管理局', party: '党组', size: 'L', business: ['食品安全监管', '市场主体登记', '知识产权保护'] },
  { name: '市体育局', party: '党组', size: 'S', business: ['全民健身', '竞技体育', '体育场馆开放'] },
  { name: '市统计局', party: '党组', size: 'S', business: ['统计数据质量', '统计信息服务', '经济普查'] },
  { name: '市医疗保障局', party: '党组', size: 'M', business: ['医保经办服务', '医保基金监管', '异地就医结算'] },
  { name: '市信访局', party: '党组', size: 'S', business: ['信访积案化解', '接访服务', '矛盾纠纷排查'] },
  { name: '市政务服务和数据管理局', party: '党组', size: 'M', business: ['一网通办', '审批提速', '政务数据共享'] },
  { name: '市林业局', party: '党组', size: 'S', business: ['森林防火', '国土绿化', '湿地保护'] },
  { name: '市粮食和物资储备局', party: '党组', size: 'S', business: ['粮食安全', '储备物资管理', '粮食流通监管'] },
  { name: '市人民防空办公室', party: '党组', size: 'S', business: ['人防工程管理', '防空警报建设', '人防宣传教育'] },
  { name: '市机关事务管理局', party: '党组', size: 'S', business: ['节约型机关建设', '公务用车管理', '机关后勤服务'] },
  { name: '市地方金融管理局', party: '党组', size: 'S', business: ['防范化解金融风险', '普惠金融', '企业融资服务'] },
  { name: '市档案馆', party: '党组', size: 'S', business: ['档案数字化', '档案利用服务', '红色档案挖掘'] },
  { name: '市委党史研究室', party: '党组', size: 'S', business: ['地方志编修', '党史研究宣传', '年鉴编纂'] },
  { name: '市总工会', party: '党组', size: 'M', business: ['职工普惠服务', '劳模工匠培育', '劳动关系协调'] },
  { name: '共青团市委', party: '党组', size: 'S', business: ['青年就业创业', '青少年服务', '青年志愿服务'] },
  { name: '市妇女联合会', party: '党组', size: 'S', business: ['妇女儿童权益维护', '家庭家教家风建设', '巾帼创业'] },
  { name: '市科学技术协会', party: '党组', size: 'S', business: ['科学普及', '学会服务', '科技工作者服务'] },
  { name: '市残疾人联合会', party: '党组', size: 'S', business: ['残疾人就业', '康复服务', '无障碍环境建设'] },
  { name: '市工商业联合会', party: '党组', size: 'S', business: ['民营企业服务', '商会建设', '政企沟通'] },
  { name: '市税务局', party: '党委', size: 'L', business: ['办税缴费便利化', '减税降费落实', '税收风险防控'] },
  { name: '市住房公积金管理中心', party: '党组', size: 'S', business: ['公积金提取服务', '缴存扩面', '资金安全管理'] },
  { name: '市投资促进局', party: '党组', size: 'S', business: ['精准招商', '项目落地服务', '投资环境推介'] },
  { name: '市公共资源交易中心', party: '党组', size: 'S', business: ['交易服务', '招投标监管', '全流程电子化交易'] },
  { name: '市供销合作社联合社', party: '党组', size: 'S', business: ['农资供应', '农村电商', '为农服务'] },
  { name: '市气象局', party: '党组', size: 'S', business: ['气象预报服务', '气象防灾减灾', '农业气象服务'] },
  { name: '市消防救援支队', party: '党委', size: 'M', business: ['火灾防控', '消防宣传', '应急救援'] },
  { name: '市人民政府外事办公室', party: '党组', size: 'S', business: ['涉外服务', '友城交流', '外事管理'] },
  { name: '市人民政府研究室', party: '党组', size: 'S', business: ['决策咨询', '调查研究', '政策研究'] },
  { name: '市口岸和物流办公室', party: '党组', size: 'S', business: ['通关便利化', '物流降本增效', '口岸服务'] },
  { name: '市园林绿化局', party: '党组', size: 'S', business: ['公园城市建设', '绿地养护', '古树名木保护'] },
  { name: '市疾病预防控制中心', party: '党委', size: 'M', business: ['传染病防控', '健康促进', '疫苗接种服务'] },
  { name: '市红十字会', party: '党组', size: 'S', business: ['应急救护培训', '人道救助', '无偿献血'] },
  { name: '市文学艺术界联合会', party: '党组', size: 'S', business: ['文艺惠民', '文艺人才培育', '文艺精品创作'] },
  { name: '市社会科学界联合会', party: '党组', size: 'S', business: ['社科普及', '新型智库建设', '理论宣讲'] },
  { name: '市广播电视台', party: '党委', size: 'M', business: ['新闻宣传', '融媒体建设', '公益传播'] },
];

/** Names for the city itself (the committee is 中共X市委市直机关工作委员会). */
export const CITY_NAMES: readonly string[] = ['江州', '临川', '云港', '青原', '南屏', '东陵', '北川', '西湖', '清河', '安澜', '宁川', '平江'];

/** Divisions (处室) and direct bodies a branch is named after, e.g. 办公室党支部. */
export const DIVISIONS: readonly string[] = [
  '办公室', '综合处', '政策法规处', '人事处', '财务处', '规划处', '审批服务处', '监督检查处', '科技信息处',
  '宣传教育处', '安全监管处', '统计分析处', '对外合作处', '督查室', '研究室', '法规处', '执法支队', '信访处',
  '信息中心', '后勤服务中心', '档案室', '项目管理处', '计划财务处', '产业发展处', '社会事务处', '组织人事处',
  '机关纪委', '服务中心', '稽查局', '培训中心', '离退休干部',
];

/** Party-building themes for project titles. `branch` themes suit a 党支部 better. */
export const THEMES: readonly { text: string; branch: boolean }[] = [
  { text: '党建+营商环境', branch: false },
  { text: '红色物业', branch: false },
  { text: '智慧党建', branch: false },
  { text: '四强党支部', branch: true },
  { text: '党员先锋岗', branch: true },
  { text: '红色引擎', branch: false },
  { text: '模范机关', branch: false },
  { text: '清廉机关', branch: false },
  { text: '党建+乡村振兴', branch: false },
  { text: '党建+基层治理', branch: false },
  { text: '红色代办', branch: true },
  { text: '一支部一品牌', branch: true },
  { text: '书记领航', branch: false },
  { text: '先锋服务队', branch: true },
  { text: '党建联建', branch: false },
  { text: '红色课堂', branch: true },
  { text: '双报到双服务', branch: true },
  { text: '我为群众办实事', branch: true },
  { text: '党建引领数字化改革', branch: false },
  { text: '初心驿站', branch: true },
  { text: '红色网格', branch: true },
  { text: '党员责任区', branch: true },
  { text: '支部建在项目上', branch: true },
  { text: '机关联社区', branch: true },
];

/** Title verbs by project type: 服务型 serves, 提升型 improves, 破题型 breaks through. */
export const ACTIONS = {
  service: ['服务', '护航', '暖心服务', '贴心代办', '精准服务'],
  improvement: ['提质', '提升', '优化', '规范化建设', '增效'],
  breakthrough: ['攻坚', '破题', '突破', '难题破解', '堵点疏通'],
} as const;

export const TITLE_SUFFIXES: readonly string[] = ['行动', '工程', '项目', '计划', '专项行动'];

export const GOAL_OPENINGS: readonly string[] = ['以高质量党建引领', '发挥党组织战斗堡垒作用，推动', '聚焦', '围绕', '以党建为抓手，全力推进'];
export const GOAL_OUTCOMES: readonly string[] = [
  '推动党建与业务深度融合，提升服务对象满意度',
  '破解工作中的堵点难点，形成可复制可推广的经验做法',
  '推动年度重点任务落地见效',
  '以党建成效检验业务成果，打造机关党建品牌',
  '把党的政治优势转化为推动发展的实际成效',
];

/** Problem-list entries (问题清单) that problem-oriented projects link to. */
export const PROBLEMS: readonly string[] = [
  '办事群众反映审批环节多、办理时限长',
  '党员先锋模范作用发挥不够明显',
  '支部组织生活形式单一、吸引力不强',
  '群众诉求响应不够及时',
  '党建与业务存在“两张皮”现象',
  '基层调研不够深入，掌握情况不全面',
  '跨部门协同不畅，数据共享不足',
  '政策宣传覆盖面不广，知晓率偏低',
  '重点任务推进滞后于计划',
  '服务企业的主动性和精准性不够',
  '历史遗留问题化解进度慢',
  '青年党员教育管理有待加强',
];

export type IndicatorDirection = 'increase' | 'reduce';

export interface IndicatorTemplate {
  name: string;
  unit: string;
  direction: IndicatorDirection;
  /** Baseline range. */
  baseline: readonly [number, number];
  /** Change from the baseline toward the target: an absolute range, or a fraction range of the baseline (`relative`). */
  change: readonly [number, number];
  relative?: boolean;
  /** Upper bound of any value (percentages stop at 100). */
  max?: number;
  /** Decimals kept (0 for counts). */
  decimals?: number;
}

/** Quantified, checkable indicators (可量化、可考核). */
export const INDICATORS: readonly IndicatorTemplate[] = [
  { name: '走访服务对象', unit: '家', direction: 'increase', baseline: [0, 20], change: [15, 80] },
  { name: '开展主题党日活动', unit: '次', direction: 'increase', baseline: [2, 6], change: [6, 12] },
  { name: '党员志愿服务时长', unit: '小时', direction: 'increase', baseline: [100, 600], change: [200, 1200] },
  { name: '解决群众急难愁盼问题', unit: '件', direction: 'increase', baseline: [5, 30], change: [10, 60] },
  { name: '设立党员先锋岗', unit: '个', direction: 'increase', baseline: [0, 3], change: [2, 8] },
  { name: '开展政策宣讲', unit: '场', direction: 'increase', baseline: [2, 10], change: [6, 24] },
  { name: '形成调研成果', unit: '篇', direction: 'increase', baseline: [0, 3], change: [2, 6] },
  { name: '结对共建单位', unit: '个', direction: 'increase', baseline: [1, 5], change: [2, 8] },
  { name: '培养业务骨干', unit: '名', direction: 'increase', baseline: [2, 10], change: [3, 15] },
  { name: '服务对象满意度', unit: '%', direction: 'increase', baseline: [80, 93], change: [2, 6], max: 99 },
  { name: '问题整改完成率', unit: '%', direction: 'increase', baseline: [70, 90], change: [5, 25], max: 100 },
  { name: '诉求按期办结率', unit: '%', direction: 'increase', baseline: [85, 95], change: [2, 5], max: 100 },
  { name: '事项网上可办率', unit: '%', direction: 'increase', baseline: [60, 90], change: [5, 20], max: 100 },
  { name: '平均办理时限', unit: '个工作日', direction: 'reduce', baseline: [5, 20], change: [0.2, 0.5], relative: true },
  { name: '群众投诉件数', unit: '件', direction: 'reduce', baseline: [20, 120], change: [0.2, 0.5], relative: true },
  { name: '申请材料数量', unit: '份', direction: 'reduce', baseline: [8, 20], change: [0.2, 0.4], relative: true },
  { name: '工作差错率', unit: '%', direction: 'reduce', baseline: [2, 6], change: [0.3, 0.6], relative: true, decimals: 1 },
  { name: '积案存量', unit: '件', direction: 'reduce', baseline: [10, 60], change: [0.4, 0.8], relative: true },
];

/** Milestone titles by phase of the year. */
export const MILESTONES = {
  early: ['制定项目实施方案', '完成调研摸底', '召开项目启动会', '建立工作台账'],
  middle: ['完成阶段性目标', '开展中期评估', '推进重点任务落地', '形成阶段性成果'],
  late: ['总结提炼经验做法', '全面完成年度目标', '完成项目验收准备', '形成项目成果报告'],
} as const;

export const SURNAMES: readonly string[] = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
export const GIVEN_CHARS: readonly string[] = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建国志文斌宇浩凯晨欣婷雪琳晶健海波宁峰思佳慧颖博嘉子雨梦俊晓立新春永'];

const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** Chinese numeral for 1..999 as used in org names: 一, 十二, 二十, 一百零五. */
export function chineseNumeral(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 999) throw new RangeError(`chineseNumeral: ${n} is outside 1..999`);
  const hundreds = Math.floor(n / 100);
  const tens = Math.floor((n % 100) / 10);
  const ones = n % 10;
  let out = '';
  if (hundreds > 0) out += `${DIGITS[hundreds]}百`;
  if (tens > 0) out += `${hundreds === 0 && tens === 1 ? '' : DIGITS[tens]}十`;
  else if (hundreds > 0 && ones > 0) out += '零';
  if (ones > 0) out += DIGITS[ones];
  return out;
}
