// The typed API client of the control plane and its HTTP transport.
export { createApiClient, type SecretCreateInput, type SecretPatchInput, type TenancyClient } from "./api";
export { createHttpTransport, type HttpTransportOptions } from "./http";
export { orUndefined } from "./not-found";
export {
  ownershipHeaders,
  pathOf,
  successOf,
  type ApiRequest,
  type Transport,
  type WriteOwnership,
} from "./transport";
