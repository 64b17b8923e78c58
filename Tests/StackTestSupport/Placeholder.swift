// StackTestSupport
