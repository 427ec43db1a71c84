export { planDeployment, assumptionsFromBench, hzForVolume, DEFAULT_WORKLOAD, DEFAULT_ASSUMPTIONS, BENCH_FIGURES, PlanInputError } from './plan.js';
export type { Workload, Assumption, AssumptionName, Assumptions, BenchFigure, DeploymentPlan, DynamoDbPlan } from './plan.js';
export { loadPriceTable, validatePriceTable, PriceTableError, DEFAULT_PRICES_FILE } from './prices.js';
export type { PriceTable, BrokerPrice } from './prices.js';
