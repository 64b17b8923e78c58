// StackSecurityTests
