// PLACEHOLDER: replaced by the dev-server global setup.
export default function setup(): void {}
