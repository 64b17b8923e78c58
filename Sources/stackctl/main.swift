print("stackctl")
