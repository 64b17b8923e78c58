// StackSecurity
