#!lua name=callcenter
