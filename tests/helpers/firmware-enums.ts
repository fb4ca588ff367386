// The firmware enums that the tests' own AssemblyScript harnesses return
// (assembly/testing/), copied by name and code; tests/registries.test.ts
// checks them against the firmware's source.
export const TftpStatus = { Idle: 0, Running: 1, Done: 2, NotFound: 3, Refused: 4, ServerError: 5, Protocol: 6, Timeout: 7, BadName: 8, Unreachable: 9 } as const;
export const DnsStatus = { Idle: 0, Running: 1, Done: 2, NotFound: 3, Timeout: 4, BadName: 5 } as const;
export const RegState = { Off: 0, Connecting: 1, Registering: 2, Registered: 3, AllDown: 4 } as const;
export const SipLineState = { Off: 0, Waiting: 1, Trying: 2, Registered: 3, Failed: 4 } as const;
