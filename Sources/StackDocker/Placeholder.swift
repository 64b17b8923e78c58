// StackDocker
