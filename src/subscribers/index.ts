import type { Config } from '../config/schema.js';
import type { LifecycleSettings } from './lifecycle.js';

export { confirm, inspectConfirmation, decideSignup, prune, resendFromToken, signup, cleanName, type ConfirmOutcome, type ConfirmationToSend, type LifecycleSettings, type SignupAction, type SignupRequest } from './lifecycle.js';
export { ipForRecord, sourceUrlForRecord, userAgentForRecord, type StoreIpMode } from './consent.js';
export { buildSubscriberMail, confirmUrl, type SubscriberMailKind } from './mail.js';
export { createSubscriberMailer, type SubscriberMailer } from './mailer.js';
export { signConfirmToken, parseConfirmToken, checkConfirmToken, newNonce } from './token.js';

export function lifecycleSettings(config: Config): LifecycleSettings {
  return { resendAfterMs: config.subscribe.resendAfter, confirmTtlMs: config.subscribe.confirmTtl, pendingTtlMs: config.subscribe.pendingTtl };
}
export { applyBounce, bounceSettings, decideBounce, reactivate, type AppliedBounce, type BounceEffect, type BounceSettings } from './bounces.js';
