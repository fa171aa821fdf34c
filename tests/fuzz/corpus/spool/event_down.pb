
 000102030405060708090a0b0c0d0e0f€€θοΚΓ *er-ams-12primary:privateB

198.18.0.1
198.18.1.2¬^ J *remote-notificationRBGP session downZ
kv