/// The Docker adapter family: the Engine API client (`Docker.EngineClient`), the compose
/// runtime (`Docker.ComposeRuntime`), the renderer that turns a ``StackPlan`` into the
/// hardened compose file (`Docker.HardenedRenderer`) and the host firewall guard
/// (`Docker.IPTablesNetworkGuard`). A runtime monitor is not part of this module yet.
public enum Docker {}
