// StackDockerTests
