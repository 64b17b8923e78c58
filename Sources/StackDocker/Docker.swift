/// The Docker adapter family: the Engine API client and, later, the compose runtime, the
/// isolation renderer and the monitor (`Docker.EngineClient`, `Docker.ComposeCLI`, …).
public enum Docker {}
